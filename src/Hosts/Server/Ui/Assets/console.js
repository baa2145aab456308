// The browser's time zone, for the server to render every time in it (read at each page load).
(function () {
  try {
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (zone) document.cookie = "sower_tz=" + encodeURIComponent(zone) + "; path=/; max-age=31536000; samesite=lax";
  } catch (e) { /* no Intl: times stay in UTC */ }
})();

window.sowerConsole = {
  // Keeps a streaming log scrolled to its end unless the reader scrolled up to read.
  followLog: function (element) {
    if (!element) return;
    var nearEnd = element.scrollHeight - element.scrollTop - element.clientHeight < 40;
    if (nearEnd || !element.dataset.followed) { element.scrollTop = element.scrollHeight; element.dataset.followed = "1"; }
  },
  copy: function (text) {
    if (navigator.clipboard) return navigator.clipboard.writeText(text).then(function () { return true; }, function () { return false; });
    return Promise.resolve(false);
  }
};
