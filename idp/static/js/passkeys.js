/*
 * Passkeys (WebAuthn): the browser's half of the ceremonies. Progressive enhancement: the
 * passkey forms stay hidden unless this browser can make or use one; the emailed code works
 * everywhere without them.
 *
 * A form marked data-passkey="create" or "get" carries the options the provider made
 * (data-options, JSON). On submit the browser asks the authenticator, puts its answer (JSON) in
 * the form's "credential" field and sends the form: the provider checks everything.
 */
(function () {
  "use strict";

  function toBytes(value) {
    var base64 = value.replace(/-/g, "+").replace(/_/g, "/");
    while (base64.length % 4) {
      base64 += "=";
    }
    var binary = atob(base64);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) {
      bytes[i] = binary.charCodeAt(i);
    }
    return bytes.buffer;
  }

  function toText(buffer) {
    var bytes = new Uint8Array(buffer);
    var binary = "";
    for (var i = 0; i < bytes.length; i++) {
      binary += String.fromCharCode(bytes[i]);
    }
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function descriptors(list) {
    return (list || []).map(function (item) {
      return { type: item.type, id: toBytes(item.id), transports: item.transports };
    });
  }

  function creationOptions(json) {
    if (PublicKeyCredential.parseCreationOptionsFromJSON) {
      return PublicKeyCredential.parseCreationOptionsFromJSON(json);
    }
    var options = Object.assign({}, json);
    options.challenge = toBytes(json.challenge);
    options.user = Object.assign({}, json.user, { id: toBytes(json.user.id) });
    options.excludeCredentials = descriptors(json.excludeCredentials);
    return options;
  }

  function requestOptions(json) {
    if (PublicKeyCredential.parseRequestOptionsFromJSON) {
      return PublicKeyCredential.parseRequestOptionsFromJSON(json);
    }
    var options = Object.assign({}, json);
    options.challenge = toBytes(json.challenge);
    options.allowCredentials = descriptors(json.allowCredentials);
    return options;
  }

  function answer(credential) {
    if (typeof credential.toJSON === "function") {
      return credential.toJSON();
    }
    var response = credential.response;
    var json = {
      id: credential.id,
      rawId: toText(credential.rawId),
      type: credential.type,
      clientExtensionResults: credential.getClientExtensionResults(),
      authenticatorAttachment: credential.authenticatorAttachment,
      response: { clientDataJSON: toText(response.clientDataJSON) }
    };
    if (response.attestationObject) {
      json.response.attestationObject = toText(response.attestationObject);
      json.response.transports = response.getTransports ? response.getTransports() : [];
    } else {
      json.response.authenticatorData = toText(response.authenticatorData);
      json.response.signature = toText(response.signature);
      if (response.userHandle) {
        json.response.userHandle = toText(response.userHandle);
      }
    }
    return json;
  }

  // The options the page carries, or those asked of data-options-url when the button is pressed.
  function options(form) {
    var url = form.getAttribute("data-options-url");
    if (!url) {
      return Promise.resolve(JSON.parse(form.getAttribute("data-options")));
    }
    var token = form.querySelector("input[name='csrf_token']").value;
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": token }
    }).then(function (response) {
      if (!response.ok) {
        throw new Error("options");
      }
      return response.json();
    });
  }

  function ceremony(form) {
    return options(form).then(function (json) {
      if (form.getAttribute("data-passkey") === "create") {
        return navigator.credentials.create({ publicKey: creationOptions(json) });
      }
      return navigator.credentials.get({ publicKey: requestOptions(json) });
    });
  }

  function init(form) {
    var error = form.querySelector("[data-passkey-error]");
    form.addEventListener("submit", function (event) {
      if (form.dataset.answered) {
        return;
      }
      event.preventDefault();
      if (error) {
        error.hidden = true;
      }
      ceremony(form).then(
        function (credential) {
          form.querySelector("input[name='credential']").value = JSON.stringify(answer(credential));
          form.dataset.answered = "1";
          form.submit();
        },
        function () {
          if (error) {
            error.hidden = false;
            error.focus();
          }
        }
      );
    });
    var shown = form.closest("[data-passkey-section]") || form;
    shown.hidden = false;
  }

  if (!window.PublicKeyCredential || !navigator.credentials) {
    return;
  }
  var forms = document.querySelectorAll("form[data-passkey]");
  for (var i = 0; i < forms.length; i++) {
    init(forms[i]);
  }
})();
