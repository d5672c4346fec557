// A broadcast's progress page: ask the server for the numbers every few seconds and show them. When the
// broadcast starts, finishes or is stopped the page is loaded anew (the Stop button goes). Without this script
// the page reloads itself (meta refresh in <noscript>).
(function () {
  var card = document.querySelector("[data-progress-url]");
  if (!card || !card.hasAttribute("data-running")) return;
  var url = card.getAttribute("data-progress-url");
  var every = 1000 * (parseInt(card.getAttribute("data-refresh"), 10) || 3);
  var badge = document.querySelector("[data-state]");
  var bar = document.getElementById("progress-bar");

  function show(data) {
    if (badge && data.state !== badge.getAttribute("data-state")) {
      window.location.replace(window.location.pathname);
      return;
    }
    Object.keys(data.shown).forEach(function (key) {
      var element = document.querySelector("[data-figure='" + key + "']");
      if (element) element.textContent = data.shown[key];
    });
    if (bar) {
      bar.max = data.total || 1;
      bar.value = data.finished;
    }
    if (data.running) window.setTimeout(poll, every);
    else window.location.replace(window.location.pathname);
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : Promise.reject(response.status); })
      .then(show)
      .catch(function () { window.setTimeout(poll, every * 2); });
  }

  window.setTimeout(poll, every);
})();
