/* Suggest public knowledge-base articles while the customer types a ticket title (debounced). */
(function () {
  var title = document.getElementById("title");
  var box = document.getElementById("kb-suggestions");
  if (!title || !box || !window.fetch) { return; }
  var timer = null;
  var asked = "";

  function show(items) {
    box.textContent = "";
    if (!items.length) { return; }
    var list = document.createElement("ul");
    items.forEach(function (item) {
      var entry = document.createElement("li");
      var link = document.createElement("a");
      link.href = item.url;
      link.target = "_blank";
      link.rel = "noopener";
      link.textContent = item.title;
      entry.appendChild(link);
      list.appendChild(entry);
    });
    box.appendChild(list);
  }

  function ask() {
    var query = title.value.trim();
    if (query.length < 4 || query === asked) { return; }
    asked = query;
    fetch(box.dataset.url + "?q=" + encodeURIComponent(query), {credentials: "same-origin"})
      .then(function (answer) { return answer.ok ? answer.json() : {items: []}; })
      .then(function (data) { if (query === asked) { show(data.items || []); } })
      .catch(function () {});
  }

  title.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(ask, 300);
  });
})();
