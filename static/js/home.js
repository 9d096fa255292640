// The home page's live part (today's check-ins, who is in the club now, today's sessions and calls): fetched again
// every half minute while the page is visible, so a desk screen left open stays current without a reload.
(function () {
  const EVERY_MS = 30000;
  function refresh() {
    const live = document.getElementById("home-live");
    if (!live || document.hidden) return;
    fetch(live.dataset.src, { headers: { "X-Requested-With": "fetch" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok || response.redirected) throw new Error(String(response.status));
        return response.text();
      })
      .then(function (html) {
        const holder = document.createElement("div");
        holder.innerHTML = html;
        const fresh = holder.querySelector("#home-live");
        if (fresh) live.replaceWith(fresh);
      })
      .catch(function () { /* the next round tries again; a lost login shows at the next click */ });
  }
  setInterval(refresh, EVERY_MS);
  document.addEventListener("visibilitychange", function () { if (!document.hidden) refresh(); });
})();
