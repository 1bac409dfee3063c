// "Put in order" as big tappable cards (issue 15, item 3): the pupil taps the cards in the
// order they happen; each tap gives the card the next free number, a second tap takes it out.
// The numbered selects stay on the page and carry the answer, so the keyboard and the
// no-JavaScript version (choose a number for each) keep working and post the same fields.
(function () {
  "use strict";

  document.querySelectorAll(".order-list").forEach(function (list) {
    var selects = Array.prototype.slice.call(list.querySelectorAll("select"));
    var live = document.createElement("p");
    live.className = "visually-hidden";
    live.setAttribute("aria-live", "polite");
    list.insertAdjacentElement("afterend", live);
    var hint = list.parentNode.querySelector(".hint");
    if (hint) { hint.textContent = "Tap them in order: the first one first. Tap again to take one out."; }
    list.classList.add("order-cards");

    function nextFree() {
      var taken = selects.map(function (s) { return s.value; });
      for (var n = 1; n <= selects.length; n++) {
        if (taken.indexOf(String(n)) === -1) { return String(n); }
      }
      return "";
    }

    var cards = selects.map(function (select) {
      var item = select.closest("li");
      var label = item.querySelector("label");
      var words = label.textContent.trim();
      label.classList.add("visually-hidden");
      var card = document.createElement("button");
      card.type = "button";
      card.className = "order-card";
      var number = document.createElement("span");
      number.className = "order-number";
      number.setAttribute("aria-hidden", "true");
      var text = document.createElement("span");
      text.textContent = words;
      card.appendChild(number);
      card.appendChild(text);
      item.insertBefore(card, item.firstChild);
      function show() {
        number.textContent = select.value || "?";
        item.classList.toggle("is-placed", select.value !== "");
        card.setAttribute("aria-label", select.value
          ? words + ": number " + select.value + ". Tap to take it out."
          : words + ": tap to put it next.");
      }
      card.addEventListener("click", function () {
        if (select.value) {
          select.value = "";
          live.textContent = words + " taken out.";
        } else {
          select.value = nextFree();
          live.textContent = words + " is number " + select.value + ".";
        }
        cards.forEach(function (c) { c(); });
      });
      select.addEventListener("change", function () { cards.forEach(function (c) { c(); }); });
      return show;
    });
    cards.forEach(function (c) { c(); });
  });
})();
