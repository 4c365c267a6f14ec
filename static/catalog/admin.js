// Copy buttons of the admin's image list (the short id's full value). No inline script: the
// pages' Content-Security-Policy allows only our static files.
document.addEventListener("click", function (event) {
  var button = event.target.closest("button.vt-copy");
  if (!button) return;
  event.preventDefault();
  var text = button.getAttribute("data-copy");
  var done = function () { button.textContent = "copied"; setTimeout(function () { button.textContent = "copy"; }, 1500); };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(text).then(done, function () { window.prompt("Copy the id:", text); });
  } else {
    window.prompt("Copy the id:", text);
  }
});
