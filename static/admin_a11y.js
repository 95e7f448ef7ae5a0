/* Accessibility repairs for Flask-Admin's stock templates, which we do not fork:
   the page's language (its base template has a bare <html>), and a real accessible name for
   the row-selection checkboxes (they carry only a title). */
(function () {
  document.documentElement.lang = document.currentScript.dataset.lang;
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("input.action-rowtoggle, input.action-checkbox").forEach(
      function (box) {
        if (!box.getAttribute("aria-label") && box.title) { box.setAttribute("aria-label", box.title); }
      });
  });
})();
