// Continuous scanning at the desk: the search box in the header takes the card scanner's input on every staff
// page. A scanner types a card's code quickly and ends with Enter.
// - After each action (a check-in, a sale, a search) the page that follows puts the focus back in the box, its
//   text selected so that the next scan replaces it; a page that shows a form's errors keeps the focus there.
// - Keys typed anywhere outside a form field (a scan while a button or the page has the focus) go to the box.
// - "/" focuses the box; Esc clears it.
(function () {
  const box = document.getElementById("q");
  if (!box) return;

  function isField(element) {
    if (!element || element === document.body) return false;
    if (element.isContentEditable) return true;
    const tag = element.tagName;
    if (tag === "TEXTAREA" || tag === "SELECT") return true;
    if (tag !== "INPUT") return false;
    return !["button", "submit", "reset", "checkbox", "radio", "hidden", "image", "file"].includes(element.type);
  }

  function takeFocus() {
    box.focus();
    box.select();
  }

  // On arrival: back to the box, unless this page asks for another field (autofocus, a refused form's errors).
  const wantsElsewhere = document.querySelector("[autofocus]:not(#q), .has-error, [aria-invalid=true]");
  if (!wantsElsewhere && !isField(document.activeElement)) takeFocus();

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.altKey || event.metaKey || event.isComposing) return;
    const target = event.target;
    if (target === box) {
      if (event.key === "Escape") {
        box.value = "";
        box.dispatchEvent(new Event("input", { bubbles: true }));   // the live results empty too
        event.preventDefault();
      }
      return;
    }
    if (isField(target)) return;
    if (event.key === "/") {
      takeFocus();
      event.preventDefault();
      return;
    }
    // A printable character typed outside any field: the start of a scan (or of a name). It goes to the box,
    // replacing what the box held; the keys after it land there by themselves, Enter submitting the scan.
    if (event.key.length === 1 && event.key !== " ") {
      box.focus();
      box.value = event.key;
      box.dispatchEvent(new Event("input", { bubbles: true }));
      event.preventDefault();
    }
  });
})();
