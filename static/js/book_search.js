// A session's booking form: while a name (or its start) is typed, the members it fits are listed below, each
// with a button that books them. Without this script the form still books by name, card code, phone or id.
(function () {
  const input = document.querySelector("input[data-find]");
  const out = document.getElementById("found");
  if (!input || !out) return;
  let timer = null, last = "";
  function look() {
    const q = input.value.trim();
    if (q === last) return;
    last = q;
    if (q.length < 2) { out.innerHTML = ""; return; }
    fetch(input.dataset.find + "?q=" + encodeURIComponent(q), { headers: { "X-Requested-With": "fetch" } })
      .then(function (response) { return response.ok ? response.text() : ""; })
      .then(function (html) { if (input.value.trim() === q) out.innerHTML = html; });
  }
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(look, 150);
  });
  // A name typed before this script ran (a quick clerk on a slow page, or the browser restoring the field on
  // "back") has fired no input event that we heard: look it up now.
  look();
})();
