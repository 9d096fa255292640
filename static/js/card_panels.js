// The member card's panels (audit trail, SMS, consent history) and forms load when their section opens, so the
// card itself reads only what the desk looks at first. A section's slot names its fragment in data-src; without
// this script the slot's link opens the fragment as a page of its own.
(function () {
  function load(details, focus) {
    const slot = details.querySelector(":scope > .lazy[data-src]");
    if (!slot || slot.dataset.state) return;
    slot.dataset.state = "loading";
    slot.setAttribute("aria-busy", "true");
    fetch(slot.dataset.src, { headers: { "X-Requested-With": "fetch" }, credentials: "same-origin" })
      .then(function (response) {
        // Sent elsewhere (the login ended, say): follow the link as a browser without the script would.
        if (!response.ok || response.redirected) throw new Error(String(response.status));
        return response.text();
      })
      .then(function (html) {
        slot.innerHTML = html;
        slot.dataset.state = "loaded";
        slot.removeAttribute("aria-busy");
        const first = slot.querySelector("select, input:not([type=hidden]), textarea");
        if (first && focus) first.focus();   // opened by staff to fill it in
      })
      .catch(function () {
        const link = slot.querySelector("a[href]");
        if (link) window.location.assign(link.href);
      });
  }

  document.querySelectorAll("details").forEach(function (details) {
    if (!details.querySelector(":scope > .lazy[data-src]")) return;
    details.addEventListener("toggle", function () { if (details.open) load(details, true); });
    if (details.open) load(details, false);   // open from the start (a sale offered to a lead): no focus taken
  });
})();
