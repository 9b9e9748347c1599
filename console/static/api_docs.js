// Swagger UI on our own OpenAPI document (no inline script: the page's CSP allows only our files).
window.addEventListener("load", function () {
  var box = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({url: box.dataset.spec, dom_id: "#swagger-ui", deepLinking: true});
});
