// Office dashboard: fetch the board every few seconds and swap it in (no framework, no reload).
(function () {
  var board = document.getElementById("board");
  var every = Number(board.dataset.refreshMs) || 30000;
  function refresh() {
    fetch(board.dataset.source, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (response.status === 401) { window.location.assign("/office/login"); return null; }
        return response.ok ? response.text() : null;
      })
      .then(function (html) {
        if (html === null) { return; }
        board.innerHTML = html;
        document.getElementById("refreshed").textContent = new Date().toLocaleTimeString();
      })
      .catch(function () { /* offline for a moment: keep the last board, try again */ });
  }
  setInterval(refresh, every);
})();
