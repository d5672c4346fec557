// The figures page: a "Print" button (the page prints without it, too: Ctrl+P uses the same print CSS).
(function () {
  var button = document.getElementById("print-page");
  if (!button) return;
  button.hidden = false;
  button.addEventListener("click", function () { window.print(); });
})();
