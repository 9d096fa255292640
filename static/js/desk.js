// The desk search box: results appear as staff type; Enter submits (a scanned card checks in).
(function () {
  const box = document.getElementById("q");
  const results = document.getElementById("results");
  if (!box || !results) return;
  let timer = null, last = box.defaultValue;     // the results on the page are for the query the page was sent
  async function look() {
    const q = box.value;
    if (q === last) return;
    last = q;
    const url = box.dataset.live + "?partial=1&q=" + encodeURIComponent(q);
    const response = await fetch(url, { headers: { "X-Requested-With": "fetch" } });
    if (response.ok && box.value === q) results.innerHTML = await response.text();
  }
  box.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(look, 150);
  });
  look();     // typed before this script ran: no input event was heard for it
})();
