// Forms with data-autosubmit send themselves when a checkbox or select changes: search filters
// apply at once. Without JavaScript the form's own button does the same.
document.addEventListener("change", (event) => {
  const form = event.target.closest("form[data-autosubmit]");
  if (!form || !event.target.matches("select, input[type=checkbox], input[type=radio]")) return;
  // A new filter or order starts again at page 1; the form has no page field, so it is dropped.
  form.requestSubmit();
});
