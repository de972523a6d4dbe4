/* The staff side of SOS alerts, live, as a pager's dashboard: the admin pages follow the staff socket in place.
 *
 * - The admin home: the "Active SOS alerts" panel (#emergency-count, its data-active-emergencies) shows the
 *   count the server answers (live-count/) after each emergency.* event, and is urgent while it is not 0.
 * - The alert list: a raised alert's row appears at the top, an answered one changes its status or leaves
 *   a list filtered on another status; rows keep their time since raised current. Their acknowledge and
 *   resolve buttons post to the admin (CSRF), which calls the services, and the row shows the answer.
 * - An alert's page reloads when its alert changes (its timeline is the server's).
 *
 * Events are {type, id, ts, data} with data as emergencies.services.emergency_event_data makes it. Rows are
 * built with DOM APIs and textContent only: nothing from an event is ever parsed as HTML.
 * The socket reconnects with backoff (1 s doubling to 30 s, with jitter) and, reconnected, catches up on
 * what it missed: the home re-reads the count, the list reloads once (unless rows are ticked). A 403 (no
 * permission) or a signed-out session stops it. CSP-safe: a static file, its settings in data- attributes
 * (on its <script> on the home, on #emergency-live on the list), no inline script.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  var scriptData = (script && script.dataset) || {};
  var LIST_PATH = /(\/emergencies\/emergency\/).*$/;
  var CHANGE_PATH = /\/emergencies\/emergency\/([0-9a-f-]{36})\/change\/$/;
  var MESSAGE_SHOWN = 80;
  var KIND_LABELS = {}; // a timer's alert's label by kind, from the list's data-kind-labels (a panic SOS has none)
  var EMPTY = "-";

  function csrfToken() {
    var field = document.querySelector("input[name=csrfmiddlewaretoken]");
    if (field) {
      return field.value;
    }
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function busy() {
    // Staff in the middle of choosing rows for an action: nothing moves under them.
    return document.querySelector("input.action-select:checked") !== null;
  }

  function markNew() {
    if (document.title.indexOf("(new) ") !== 0) {
      document.title = "(new) " + document.title;
    }
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (text !== undefined && text !== null) {
      node.textContent = String(text);
    }
    return node;
  }

  function capitalised(text) {
    text = String(text || "");
    return text.charAt(0).toUpperCase() + text.slice(1);
  }

  function shortId(id) {
    return String(id || "").slice(0, 8);
  }

  function when(iso) {
    var time = Date.parse(iso || "");
    return isNaN(time) ? EMPTY : new Date(time).toLocaleString();
  }

  // How long ago, as Django's timesince says it (its largest unit only): "3 minutes", "1 hour".
  var UNITS = [[31536000, "year"], [2592000, "month"], [604800, "week"], [86400, "day"], [3600, "hour"], [60, "minute"]];

  function since(iso) {
    var seconds = (Date.now() - Date.parse(iso || "")) / 1000;
    if (!(seconds > 0)) {
      seconds = 0;
    }
    for (var i = 0; i < UNITS.length; i += 1) {
      if (seconds >= UNITS[i][0]) {
        var count = Math.floor(seconds / UNITS[i][0]);
        return count + " " + UNITS[i][1] + (count === 1 ? "" : "s");
      }
    }
    return "0 minutes";
  }

  function refreshSince() {
    var times = document.querySelectorAll("time.emergency-since[datetime]");
    for (var i = 0; i < times.length; i += 1) {
      times[i].textContent = since(times[i].getAttribute("datetime")) + " ago";
    }
  }

  // The alert's place on OpenStreetMap (emergencies.services.osm_url), for coordinates that are numbers only.
  var DEGREES = /^-?\d{1,3}(\.\d+)?$/;

  function osmUrl(lat, lon) {
    if (!DEGREES.test(String(lat)) || !DEGREES.test(String(lon))) {
      return null;
    }
    return "https://www.openstreetmap.org/?mlat=" + lat + "&mlon=" + lon + "#map=17/" + lat + "/" + lon;
  }

  // --- the admin home's panel ----------------------------------------------------------------

  function homePage(panel) {
    var counter = panel.hasAttribute("data-active-emergencies") ? panel : panel.querySelector("[data-active-emergencies]");
    return {
      showCount: function (count) {
        if (!counter) {
          return;
        }
        counter.textContent = count.toLocaleString("en");
        counter.setAttribute("data-active-emergencies", String(count));
        counter.setAttribute("data-count", String(count));
        panel.classList.toggle("errornote", count !== 0);
        panel.classList.toggle("urgent", count !== 0);
      },
      onEvent: function () {},
      catchUp: function () {},
      countsEvents: true
    };
  }

  // --- the list of alerts ----------------------------------------------------------------------

  function listPage(config) {
    var table = document.getElementById("result_list");
    var tbody = table && table.tBodies[0];
    var status = document.getElementById("emergency-live-status");
    var base = config.changelistUrl || window.location.pathname.replace(LIST_PATH, "$1");
    var filter = config.statusFilter || "";
    var addsRows = config.addsRows === "1";
    var canRespond = config.canRespond === "1";
    var knownCount = parseInt(config.activeCount || "", 10);
    var columns = [];

    if (table) {
      var headers = table.tHead ? table.tHead.rows[0].cells : [];
      for (var i = 0; i < headers.length; i += 1) {
        var match = headers[i].className.match(/(?:^|\s)column-(\S+)/);
        columns.push(headers[i].classList.contains("action-checkbox-column") ? "action_checkbox" : (match ? match[1] : ""));
      }
    }

    function say(text) {
      if (status) {
        status.textContent = text;
      }
    }

    function rowOf(id) {
      if (!tbody) {
        return null;
      }
      var marker = tbody.querySelector('[data-emergency-id="' + CSS.escape(id) + '"]');
      return marker ? marker.closest("tr") : null;
    }

    var CELLS = {
      action_checkbox: function (data) {
        var cell = el("td", "action-checkbox");
        var box = el("input", "action-select");
        box.type = "checkbox";
        box.name = "_selected_action";
        box.value = data.id;
        box.setAttribute("aria-label", "Select this object for an action - SOS " + shortId(data.id) + " (" + data.status + ")");
        cell.appendChild(box);
        return cell;
      },
      short_id: function (data) {
        var cell = el("th", "field-short_id");
        var link = el("a");
        link.href = base + encodeURIComponent(data.id) + "/change/";
        var marker = el("span", "", shortId(data.id));
        marker.setAttribute("data-emergency-id", data.id);
        link.appendChild(marker);
        cell.appendChild(link);
        return cell;
      },
      status: function (data) {
        return el("td", "field-status", capitalised(data.status));
      },
      alert: function (data) {
        var cell = el("td", "field-alert");
        if (data.kind && KIND_LABELS[data.kind]) {
          cell.appendChild(el("span", "emergency-kind", KIND_LABELS[data.kind]));
          cell.appendChild(document.createTextNode(" "));
        }
        var message = String(data.message || "");
        if (message.length > MESSAGE_SHOWN) {
          message = message.slice(0, MESSAGE_SHOWN - 1) + "\u2026";
        }
        cell.appendChild(el("span", "emergency-message", message));
        return cell;
      },
      raised: function (data) {
        var cell = el("td", "field-raised");
        var time = el("time", "emergency-since", since(data.created_at) + " ago");
        time.setAttribute("datetime", String(data.created_at || ""));
        time.title = when(data.created_at);
        cell.appendChild(time);
        return cell;
      },
      raised_by: function (data) {
        return el("td", "field-raised_by", data.raised_by ? "user " + shortId(data.raised_by) : EMPTY);
      },
      booking: function (data) {
        return el("td", "field-booking", data.booking_id ? "booking " + shortId(data.booking_id) : EMPTY);
      },
      map_link: function (data) {
        var cell = el("td", "field-map_link");
        var place = String(data.latitude) + ", " + String(data.longitude);
        var url = osmUrl(data.latitude, data.longitude);
        if (url) {
          var link = el("a", "", place);
          link.href = url;
          link.target = "_blank";
          link.rel = "noopener noreferrer";
          cell.appendChild(link);
        } else {
          cell.textContent = place;
        }
        return cell;
      },
      acknowledged_at: function (data) {
        return el("td", "field-acknowledged_at", data.acknowledged_at ? when(data.acknowledged_at) : EMPTY);
      },
      respond: function (data) {
        var cell = el("td", "field-respond");
        if (!canRespond) {
          return cell;
        }
        var answers = [];
        if (data.status === "active") {
          answers.push(["acknowledge", "Acknowledge"]);
        }
        if (data.status === "active" || data.status === "acknowledged") {
          answers.push(["resolve", "Resolve"]);
        }
        answers.forEach(function (answer, index) {
          if (index) {
            cell.appendChild(document.createTextNode(" "));
          }
          var button = el("button", "button emergency-answer", answer[1]);
          button.type = "button";
          button.setAttribute("data-url", base + encodeURIComponent(data.id) + "/" + answer[0] + "/");
          button.setAttribute("data-answer", answer[0]);
          cell.appendChild(button);
        });
        return cell;
      }
    };
    // What an answer changes in a row already shown; the others (its checkbox first) stay as they are.
    var CHANGING = ["status", "alert", "acknowledged_at", "respond"];

    function cellFor(column, data) {
      var render = CELLS[column];
      return render ? render(data) : el("td", column ? "field-" + column : "");
    }

    function buildRow(data) {
      var row = document.createElement("tr");
      columns.forEach(function (column) {
        row.appendChild(cellFor(column, data));
      });
      return row;
    }

    function updateRow(row, data) {
      columns.forEach(function (column, index) {
        if (CHANGING.indexOf(column) !== -1 && row.cells[index]) {
          row.replaceChild(cellFor(column, data), row.cells[index]);
        }
      });
      row.setAttribute("data-emergency-status", String(data.status));
    }

    function show(data, type) {
      if (!data || typeof data.id !== "string" || !tbody) {
        return;
      }
      var row = rowOf(data.id);
      var belongs = !filter || data.status === filter;
      if (row) {
        var ticked = row.querySelector("input.action-select:checked") !== null;
        if (belongs || ticked) {
          updateRow(row, data);
        } else {
          row.parentNode.removeChild(row);
          say("SOS " + shortId(data.id) + " is " + data.status + ": it left this list.");
        }
      } else if (addsRows && belongs && (type === "emergency.raised" || filter)) {
        var fresh = buildRow(data);
        fresh.setAttribute("data-emergency-status", String(data.status));
        fresh.classList.add("emergency-new");
        tbody.insertBefore(fresh, tbody.firstChild);
        say("New SOS " + shortId(data.id) + ".");
      } else if (type === "emergency.raised") {
        markNew();  // a page of older or other alerts: tell, do not reshuffle it
      }
    }

    return {
      showCount: function (count) {
        knownCount = count;
      },
      onEvent: function (event) {
        show(event.data, event.type);
      },
      onAnswer: function (data) {
        show(data, "emergency.updated");
      },
      // Reconnected (events may have been missed), or the count moved between the page and its socket.
      catchUp: function (reconnected, count, eventAt) {
        if (!reconnected && (count === knownCount || Date.now() - eventAt < 5000)) {
          return;
        }
        if (busy()) {
          markNew();
        } else {
          window.location.reload();
        }
      },
      say: say,
      settle: 3000,
      countsEvents: true
    };
  }

  // --- an alert's page -------------------------------------------------------------------------

  function changePage(id) {
    return {
      showCount: function () {},
      onEvent: function (event) {
        if (event.data && event.data.id === id) {
          window.location.reload();  // its timeline and answers are the server's to draw
        }
      },
      onAnswer: function () {
        window.location.reload();
      },
      catchUp: function (reconnected) {
        if (reconnected) {
          window.location.reload();
        }
      },
      countsEvents: false
    };
  }

  // --- the answer buttons ----------------------------------------------------------------------

  function answerButtons(page) {
    document.addEventListener("click", function (click) {
      var button = click.target.closest ? click.target.closest("button.emergency-answer") : null;
      if (!button || button.disabled) {
        return;
      }
      click.preventDefault();
      button.disabled = true;
      fetch(button.getAttribute("data-url"), {
        method: "POST",
        credentials: "same-origin",
        headers: {"X-CSRFToken": csrfToken(), "Accept": "application/json"}
      })
        .then(function (response) {
          // A refusal that is not the view's own (CSRF, signed out) is a page, not JSON.
          return response.json().catch(function () { return {}; }).then(function (body) {
            return {ok: response.ok && typeof body.id === "string", status: response.status, body: body};
          });
        })
        .then(function (answer) {
          if (!answer.ok) {
            throw new Error((answer.body && answer.body.detail) || "Refused (" + answer.status + ").");
          }
          page.onAnswer(answer.body);
        })
        .catch(function (error) {
          button.disabled = false;
          var text = "Not done: " + (error && error.message ? error.message : "no answer from the server") + ".";
          if (page.say) {
            page.say(text);
          } else {
            button.title = text;
          }
        });
    });
  }

  // --- the socket --------------------------------------------------------------------------------

  function follow(page, ticketUrl, countUrl, stateHolder) {
    var retry = 1000;
    var stopped = false;
    var opens = 0;
    var counting = false;
    var countAgain = false;
    var waiting = [];
    var lastEventAt = 0;
    var countFailures = 0;

    function state(name) {
      // What staff (and tests) can read off the page: "connecting", "live", or "off" for good.
      if (stateHolder) {
        stateHolder.setAttribute("data-live-state", name);
      }
    }

    function stop() {
      stopped = true;
      state("off");
      if (page.say) {
        page.say("Live updates are off: reload the page (signed out, or no permission for SOS alerts).");
      }
    }

    function refused(response) {
      // No permission (403) or signed out (the admin sends the request to its login page): retrying cannot help.
      return response.status === 403 || response.status === 401 || response.redirected;
    }

    function readCount(then) {
      if (!countUrl) {
        return;
      }
      if (then) {
        waiting.push(then);
      }
      if (counting) {
        countAgain = true;
        return;
      }
      counting = true;
      var answering = waiting;
      waiting = [];
      fetch(countUrl, {credentials: "same-origin", headers: {"Accept": "application/json"}})
        .then(function (response) {
          if (refused(response)) {
            stop();
          }
          if (!response.ok || response.redirected) {
            throw new Error("count " + response.status);
          }
          return response.json();
        })
        .then(function (body) {
          if (typeof body.active === "number") {
            countFailures = 0;
            answering.forEach(function (call) { call(body.active, lastEventAt); });
            page.showCount(body.active);
          }
        })
        .catch(function () {
          // The server did not answer (busy, restarting): ask again a little later, a few times.
          if (!stopped && countFailures < 5) {
            countFailures += 1;
            window.setTimeout(readCount, 3000);
          }
        })
        .then(function () {
          counting = false;
          if (countAgain || waiting.length) {
            countAgain = false;
            readCount();
          }
        });
    }

    function later() {
      if (stopped) {
        return;
      }
      window.setTimeout(connect, Math.round(retry * (0.8 + Math.random() * 0.4)));
      retry = Math.min(retry * 2, 30000);
    }

    function connect() {
      if (stopped) {
        return;
      }
      state("connecting");
      fetch(ticketUrl, {method: "POST", credentials: "same-origin", headers: {"X-CSRFToken": csrfToken()}})
        .then(function (response) {
          if (refused(response)) {
            stop();
          }
          if (!response.ok || response.redirected) {
            throw new Error("ticket " + response.status);
          }
          return response.json();
        })
        .then(function (body) {
          var scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
          var socket = new WebSocket(scheme + "//" + window.location.host + "/ws/v1?ticket=" + encodeURIComponent(body.ticket));
          var ping = null;
          var openedAt = 0;
          socket.onopen = function () {
            openedAt = Date.now();
            opens += 1;
            state("live");
            var reconnected = opens > 1;
            ping = window.setInterval(function () { socket.send(JSON.stringify({type: "ping"})); }, 30000);
            // What happened while there was no socket (or before this one): the count says, or the page reloads.
            // A first socket waits a little, so an event already on its way is not taken for a missed one.
            window.setTimeout(function () {
              readCount(function (count, eventAt) { page.catchUp(reconnected, count, eventAt); });
            }, reconnected ? 0 : page.settle || 0);
          };
          socket.onmessage = function (message) {
            var event;
            try {
              event = JSON.parse(message.data);
            } catch (error) {
              return;
            }
            if (!event || typeof event.type !== "string" || event.type.indexOf("emergency.") !== 0) {
              return;
            }
            lastEventAt = Date.now();
            page.onEvent(event);
            if (page.countsEvents) {
              readCount();
            }
          };
          socket.onclose = function () {
            window.clearInterval(ping);
            if (!stopped) {
              state("connecting");
            }
            if (openedAt && Date.now() - openedAt > 10000) {
              retry = 1000;  // it had been working: come back quickly
            }
            later();
          };
        })
        .catch(later);
    }

    connect();
  }

  function start() {
    var panel = document.getElementById("emergency-count");
    var config = document.getElementById("emergency-live");
    var changed = window.location.pathname.match(CHANGE_PATH);
    var data = config ? config.dataset : scriptData;
    try {
      KIND_LABELS = JSON.parse(data.kindLabels || "{}");
    } catch (error) {
      KIND_LABELS = {};
    }
    var page;
    if (config) {
      page = listPage(data);
    } else if (panel) {
      page = homePage(panel);
    } else if (changed) {
      page = changePage(changed[1]);
    } else {
      return;
    }
    var ticketUrl = data.ticketUrl || window.location.pathname.replace(LIST_PATH, "$1live-ticket/");
    var countUrl = data.countUrl || window.location.pathname.replace(LIST_PATH, "$1live-count/");
    if (ticketUrl.indexOf("/emergencies/emergency/") === -1) {
      return;
    }
    answerButtons(page);
    refreshSince();
    window.setInterval(refreshSince, 30000);
    follow(page, ticketUrl, countUrl, config || panel);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
