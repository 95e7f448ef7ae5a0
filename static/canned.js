/* Insert the chosen canned reply into the reply box, where it can still be edited. */
(function () {
  var select = document.getElementById("canned");
  if (!select) { return; }
  select.addEventListener("change", function () {
    var option = select.options[select.selectedIndex];
    var target = document.getElementById(select.dataset.target);
    if (option && option.dataset.body && target) { target.value = option.dataset.body; }
  });
})();
