// 予約票: the 印刷 button prints the page (a file of its own, as the CSP forbids inline scripts).
document.addEventListener('DOMContentLoaded', function () {
  document.querySelectorAll('[data-print]').forEach(function (b) {
    b.addEventListener('click', function () { window.print(); });
  });
});
