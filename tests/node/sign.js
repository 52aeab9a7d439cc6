"use strict";
// Signs and checks webhook requests with Twilio's own helper library, as an independent
// reference for the app's X-Twilio-Signature check.
// stdin:  {"cases": [{"token": "...", "url": "...", "params": {...}, "signature": "..."?}]}
// stdout: [{"signature": "<what Twilio sends>", "valid": <validateRequest(...)> or null}]

const { getExpectedTwilioSignature, validateRequest } = require("twilio/lib/webhooks/webhooks");

function main(input) {
  const { cases } = JSON.parse(input);
  const results = cases.map(({ token, url, params, signature }) => ({
    signature: getExpectedTwilioSignature(token, url, params),
    valid: typeof signature === "string" ? validateRequest(token, signature, url, params) : null,
  }));
  process.stdout.write(JSON.stringify(results));
}

let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => (input += chunk));
process.stdin.on("end", () => main(input));
