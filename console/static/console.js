// Sapa Leksono office console: keeps the page's live parts current. The
// server streams the ticket of every case that changed (server-sent
// events); when it concerns this page, the page's live parts (elements
// with data-part) are fetched again and put in place. No other script
// runs on these pages.
(function () {
  'use strict';
  var live = document.querySelector('[data-live]');
  if (!live || !window.EventSource || !window.fetch || !window.DOMParser) {
    return;
  }
  var url = live.getAttribute('data-live');
  var ticket = live.getAttribute('data-ticket');
  var busy = false;
  var again = false;

  function swap(html) {
    var fresh = new DOMParser().parseFromString(html, 'text/html');
    document.querySelectorAll('[data-part]').forEach(function (old) {
      var part = fresh.getElementById(old.id);
      if (part) {
        old.replaceWith(document.importNode(part, true));
      }
    });
    document.documentElement.setAttribute('data-refreshed', String(Date.now()));
  }

  function refresh() {
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    fetch(url, {headers: {'X-Console-Fragment': '1'}, credentials: 'same-origin', cache: 'no-store'})
      .then(function (r) {
        if (r.status === 401) {
          window.location.assign('/masuk');
          return null;
        }
        return r.ok ? r.text() : null;
      })
      .then(function (html) {
        if (html !== null) {
          swap(html);
        }
      })
      .catch(function () {})
      .then(function () {
        busy = false;
        if (again) {
          again = false;
          refresh();
        }
      });
  }

  var stream = new EventSource('/peristiwa');
  stream.addEventListener('open', function () {
    document.documentElement.setAttribute('data-live-ready', '1');
  });
  stream.addEventListener('error', function () {
    document.documentElement.removeAttribute('data-live-ready');
  });
  stream.addEventListener('case', function (e) {
    if (!ticket || e.data === ticket) {
      refresh();
    }
  });
})();
