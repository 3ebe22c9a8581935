// The header menu opens without JavaScript through a link to #site-nav (see assist.css); with
// JavaScript, USWDS opens it instead, so the links must not also change the address.
document.documentElement.classList.remove("no-js");
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("a.usa-menu-btn, a.usa-nav__close").forEach(function (link) {
    link.addEventListener("click", function (event) { event.preventDefault(); });
  });
});
