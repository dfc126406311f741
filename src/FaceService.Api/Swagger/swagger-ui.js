// FaceService's additions to Swagger UI, served at /swagger/faceservice-ui.js. Swagger UI calls a list of uploads
// "array<string>" with an "Add string item" button; in this API every such list in a multipart form is a list of
// photos, so they are named as files.
(function () {
  function relabel() {
    document.querySelectorAll('.opblock-section-request-body .json-schema-form-item-add').forEach(function (button) {
      if (button.textContent !== 'Add a file') button.textContent = 'Add a file';
    });
    document.querySelectorAll('.opblock-section-request-body .parameter__type').forEach(function (type) {
      if (type.textContent === 'array<string>') type.textContent = 'array<file>';
    });
  }
  new MutationObserver(relabel).observe(document.documentElement, { childList: true, subtree: true });
})();
