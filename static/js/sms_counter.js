// The member card's SMS form: a live count of characters, segments and encoding while the message is typed, by
// the rules the server counts with (clubcrm/sms/segments.py): GSM-7 when every character is in the GSM 03.38
// alphabet (160 septets in one segment, 153 each when split; extension characters take two), else UCS-2 (70 UTF-16
// units, 67 each when split). The opt-out hint added to a member's first SMS (data-sms-suffix) is counted in.
// The form arrives later (card_panels.js loads it when its section opens), so input is listened for on the page.
(function () {
  const BASIC = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
  const EXTENDED = "^{}\\[~]|€\f";

  function count(text) {
    let septets = 0;
    for (const c of text) {
      if (BASIC.includes(c)) septets += 1;
      else if (EXTENDED.includes(c)) septets += 2;
      else {
        const units = text.length;   // JavaScript strings count UTF-16 code units, as UCS-2 segments do
        return { encoding: "UCS-2", units: units, segments: units <= 70 ? 1 : Math.ceil(units / 67) };
      }
    }
    return { encoding: "GSM-7", units: septets, segments: septets <= 160 ? 1 : Math.ceil(septets / 153) };
  }

  // As the server does: runs of spaces and line breaks become one space, ends trimmed.
  function tidy(text) { return text.split(/\s+/).filter(Boolean).join(" "); }

  function show(area) {
    const out = document.getElementById(area.dataset.smsCounter);
    if (!out) return;
    const body = tidy(area.value);
    const suffix = area.dataset.smsSuffix || "";
    const size = count(body ? body + suffix : "");
    // Plural-free wording ("Characters: 12"), so one pattern reads right in every language.
    out.textContent = out.dataset.pattern.replace("{chars}", String(body.length))
      .replace("{segments}", String(size.segments)).replace("{encoding}", size.encoding) +
      (suffix && body ? " " + out.dataset.suffixNote : "");
    out.dataset.segments = String(size.segments);
    out.dataset.encoding = size.encoding;
  }

  document.addEventListener("input", function (event) {
    if (event.target.matches && event.target.matches("textarea[data-sms-counter]")) show(event.target);
  });
  document.querySelectorAll("textarea[data-sms-counter]").forEach(show);
  // A form loaded into the page later: count what it holds (a refused message comes back with its text).
  new MutationObserver(function () {
    document.querySelectorAll("textarea[data-sms-counter]:not([data-counted])").forEach(function (area) {
      area.dataset.counted = "1";
      show(area);
    });
  }).observe(document.body, { childList: true, subtree: true });
})();
