/* Live Markdown preview: the server renders and sanitises (services.documents.render_markdown),
   so the preview is exactly what readers will see. No third-party code. */
(function () {
  var source = document.querySelector("textarea[data-md-source]");
  var target = document.getElementById("md-preview");
  if (!source || !target) { return; }
  // Beside the text it previews, not below the form's buttons.
  var field = source.closest(".form-group");
  var section = target.closest("section");
  if (field && section) { field.after(section); }
  var timer = null;
  function render() {
    var body = new URLSearchParams();
    body.append("body", source.value);
    body.append("csrf_token", target.dataset.csrf);
    fetch(target.dataset.url, {method: "POST", body: body, credentials: "same-origin",
                               headers: {"X-CSRFToken": target.dataset.csrf}})
      .then(function (response) { return response.ok ? response.text() : ""; })
      .then(function (html) { target.innerHTML = html; });
  }
  source.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(render, 300);
  });
  render();
})();
