/* The work of Flask-Admin's inline handlers, which the Content-Security-Policy refuses:
   run a bulk action from the "With selected" menu; keep "#" links from jumping. */
(function () {
  document.addEventListener("click", function (event) {
    var link = event.target.closest("a[href='#']");
    if (!link) { return; }
    event.preventDefault();
    if (link.dataset.action && window.modelActions) {
      window.modelActions.execute(link.dataset.action);
    }
  });
})();
