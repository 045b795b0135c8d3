/* An incident update starts from the chosen state's words (an admin edits them). Choosing another state swaps
 * the words in only while the coordinator has not written their own: typed words are never thrown away. */
(function () {
  "use strict";
  var source = document.getElementById("starting-words");
  var form = source && source.closest("form");
  if (!form) return;
  var words = JSON.parse(source.textContent);
  var state = form.querySelector("select[name=state]");
  var message = form.querySelector("textarea[name=message]");
  if (!state || !message) return;
  var shown = state.value;
  state.addEventListener("change", function () {
    var untouched = message.value.trim() === "" || message.value === (words[shown] || "");
    if (untouched && words[state.value] !== undefined) message.value = words[state.value];
    shown = state.value;
  });
})();
