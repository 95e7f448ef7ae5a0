/* Warn a supporter, while they type, that the reply asks for a password or a CPR number.
   The server asks again before sending; this only says it earlier. */
(function () {
  var body = document.getElementById("reply-body");
  var hint = document.getElementById("secret-hint");
  if (!body || !hint) { return; }
  var asks = /\b(password|passwd|pwd|adgangskode|kodeord|kode|cpr)/i;
  var timer = null;
  function check() { hint.hidden = !asks.test(body.value); }
  body.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(check, 250);
  });
  check();
})();
