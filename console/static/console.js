// Sapa Leksono office console: keeps the page's live parts current. The
// server streams the ticket of every case that changed (server-sent
// events); when it concerns this page, the page's live parts (elements
// with data-part: a case's status, history and the actions it allows) are
// fetched again and put in place, keeping what the officer was typing. No
// other script runs on these pages.
(function () {
  'use strict';
  var live = document.querySelector('[data-live]');
  if (!live || !window.EventSource || !window.fetch || !window.DOMParser) {
    return;
  }
  var url = live.getAttribute('data-live');
  var ticket = live.getAttribute('data-ticket');
  // data-talk: a conversation's number, or * for the inbox (every one).
  var talk = live.getAttribute('data-talk');
  var busy = false;
  var again = false;

  // fieldKey names a form field across refreshes: its form's address and
  // action, and its name.
  function fieldKey(el) {
    if (!el || !el.form || !el.name) {
      return null;
    }
    var action = el.form.querySelector('input[name=aksi]');
    return el.form.getAttribute('action') + '|' + (action ? action.value : '') + '|' + el.name;
  }

  // edited is whether the officer changed a field from what the page gave.
  function edited(el) {
    if (el.tagName === 'SELECT') {
      var picked = el.options[el.selectedIndex];
      return !!picked && !picked.defaultSelected;
    }
    return el.value !== el.defaultValue;
  }

  // offers is whether a field can hold value: a list only its options.
  function offers(el, value) {
    return el.tagName !== 'SELECT' || Array.prototype.some.call(el.options, function (o) {
      return o.value === value;
    });
  }

  var fields = 'textarea, select, input:not([type=hidden])';

  // swap puts the fresh page's parts in place of the old ones. What the
  // officer was typing or picking in a form that is still offered stays,
  // and so does the cursor: a refresh never costs them their words.
  function swap(html) {
    var fresh = new DOMParser().parseFromString(html, 'text/html');
    document.querySelectorAll('[data-part]').forEach(function (old) {
      var part = fresh.getElementById(old.id);
      if (!part) {
        return;
      }
      var kept = {};
      old.querySelectorAll(fields).forEach(function (el) {
        var key = fieldKey(el);
        if (key && edited(el)) {
          kept[key] = el.value;
        }
      });
      var active = old.contains(document.activeElement) ? document.activeElement : null;
      var focus = fieldKey(active);
      var caret = active && typeof active.selectionStart === 'number' ? [active.selectionStart, active.selectionEnd] : null;
      part = document.importNode(part, true);
      var refocus = null;
      part.querySelectorAll(fields).forEach(function (el) {
        var key = fieldKey(el);
        if (key !== null && Object.prototype.hasOwnProperty.call(kept, key) && offers(el, kept[key])) {
          el.value = kept[key];
        }
        if (key !== null && key === focus) {
          refocus = el;
        }
      });
      old.replaceWith(part);
      if (refocus) {
        refocus.focus();
        if (caret && typeof refocus.setSelectionRange === 'function') {
          refocus.setSelectionRange(caret[0], caret[1]);
        }
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
    if (!talk && (!ticket || e.data === ticket)) {
      refresh();
    }
  });
  stream.addEventListener('talk', function (e) {
    if (talk && (talk === '*' || e.data === talk)) {
      refresh();
    }
  });
})();
