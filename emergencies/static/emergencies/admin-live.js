/* The emergency list and the admin index follow the staff socket: an emergency.* event reloads the page.
 * CSP-safe (a static file, no inline script). The ticket comes from the admin (session + OTP), the socket
 * is the one the apps use (/ws/v1), and staff sockets receive every emergency.* event. */
(function () {
  "use strict";

  var script = document.currentScript;
  var ticketUrl = (script && script.dataset.ticketUrl) ||
    window.location.pathname.replace(/(\/emergencies\/emergency\/).*$/, "$1live-ticket/");
  if (ticketUrl.indexOf("/emergencies/emergency/") === -1) {
    return;
  }

  function csrfToken() {
    var field = document.querySelector("input[name=csrfmiddlewaretoken]");
    if (field) {
      return field.value;
    }
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function busy() {
    // Staff in the middle of choosing rows for an action: tell them instead of reloading under them.
    return document.querySelector("input.action-select:checked") !== null;
  }

  function changed() {
    if (busy()) {
      if (document.title.indexOf("(new) ") !== 0) {
        document.title = "(new) " + document.title;
      }
      return;
    }
    window.location.reload();
  }

  var retry = 1000;

  function connect() {
    fetch(ticketUrl, {method: "POST", credentials: "same-origin", headers: {"X-CSRFToken": csrfToken()}})
      .then(function (response) {
        if (!response.ok) {
          throw new Error("ticket " + response.status);
        }
        return response.json();
      })
      .then(function (body) {
        var scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
        var socket = new WebSocket(scheme + "//" + window.location.host + "/ws/v1?ticket=" + encodeURIComponent(body.ticket));
        var ping = null;
        socket.onopen = function () {
          retry = 1000;
          ping = window.setInterval(function () { socket.send(JSON.stringify({type: "ping"})); }, 30000);
        };
        socket.onmessage = function (message) {
          var event = JSON.parse(message.data);
          if (typeof event.type === "string" && event.type.indexOf("emergency.") === 0) {
            changed();
          }
        };
        socket.onclose = function () {
          window.clearInterval(ping);
          window.setTimeout(connect, retry);
          retry = Math.min(retry * 2, 30000);
        };
      })
      .catch(function () {
        window.setTimeout(connect, retry);
        retry = Math.min(retry * 2, 30000);
      });
  }

  connect();
}());
