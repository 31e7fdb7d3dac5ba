// LTI pages: send the deep linking answer back to the platform at once, and close the
// dynamic registration window as the LTI Dynamic Registration spec asks (postMessage).
(function () {
  "use strict";
  var form = document.querySelector("form[data-autosubmit]");
  if (form) {
    form.submit();
  }
  var close = document.querySelector("[data-lti-close]");
  if (close) {
    close.addEventListener("click", function () {
      var target = window.opener || window.parent;
      if (target && target !== window) {
        target.postMessage({ subject: "org.imsglobal.lti.close" }, "*");
      }
      window.close();
    });
  }
})();
