// The admin panel works without this file. With it, one-time secrets and invitation links
// get a "Copy" button next to them.
"use strict";

document.querySelectorAll("[data-copy]").forEach((element) => {
  if (!navigator.clipboard) {
    return;
  }
  const button = document.createElement("button");
  button.type = "button";
  button.className = "copy";
  button.textContent = "Copy";
  button.setAttribute("aria-label", "Copy " + (element.dataset.copy || "to the clipboard"));
  button.addEventListener("click", () => {
    navigator.clipboard.writeText(element.textContent.trim()).then(() => {
      button.textContent = "Copied";
    });
  });
  element.after(button);
});
