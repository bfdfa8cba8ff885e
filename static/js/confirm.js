// Forms with data-confirm="Question?" ask before they are sent; Cancel leaves everything as it is.
document.addEventListener("submit", (event) => {
  const form = event.target.closest("form[data-confirm]");
  if (form && !window.confirm(form.dataset.confirm)) event.preventDefault();
});
