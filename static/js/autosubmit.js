// A select marked data-autosubmit (the language and club switchers) sends its form as soon as it changes.
// (The Content-Security-Policy allows no inline onchange= handlers, so the behaviour lives here.)
document.addEventListener("change", function (event) {
  const field = event.target;
  if (field instanceof HTMLSelectElement && field.hasAttribute("data-autosubmit") && field.form) {
    field.form.submit();
  }
});
