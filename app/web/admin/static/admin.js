// Hotline admin console: the pages work without this; it only says so when a recording fails.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  for (const audio of document.querySelectorAll(".voicemail audio")) {
    audio.addEventListener("error", () => {
      const note = audio.parentElement.querySelector(".error");
      if (note) note.hidden = false;
    });
  }
});
