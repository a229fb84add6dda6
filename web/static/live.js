// New posts and notifications without reloading: a list with `data-poll` (a fragment URL)
// and `data-since` (the newest id shown) asks every 20 seconds for what is newer and puts
// the returned list items on top. The server renders and sanitises them; without this
// script the page works the same, with a reload.
(function () {
  "use strict";
  var INTERVAL = 20000;
  var list = document.querySelector("[data-poll]");
  if (!list) {
    return;
  }
  var notice = document.getElementById("new-posts");
  var added = 0;

  function poll() {
    if (document.hidden) {
      return;
    }
    var url = list.getAttribute("data-poll") + "?since_id=" +
      encodeURIComponent(list.getAttribute("data-since") || "0");
    fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) {
        if (!response.ok) {
          return null;
        }
        var newest = response.headers.get("X-Newest-Id");
        return response.text().then(function (html) {
          return { newest: newest, html: html };
        });
      })
      .then(function (result) {
        if (!result || !result.html.trim()) {
          return;
        }
        var holder = document.createElement("ol");
        holder.innerHTML = result.html;
        var items = holder.querySelectorAll(":scope > li");
        for (var i = items.length - 1; i >= 0; i--) {
          list.insertBefore(items[i], list.firstChild);
        }
        if (result.newest) {
          list.setAttribute("data-since", result.newest);
        }
        added += items.length;
        if (notice && items.length) {
          notice.textContent = added + (added === 1 ? " new item" : " new items") + " above";
          notice.hidden = false;
        }
      })
      .catch(function () { /* offline for a moment: try again next time */ });
  }

  window.setInterval(poll, INTERVAL);
}());
