'use strict';
/**
 * Hello World: a Mattermost App served by one AWS Lambda function.
 *
 * The Apps plugin invokes the function with an API-Gateway-like event
 *   { path, httpMethod: "POST", headers, body: "<JSON CallRequest>" }
 * and reads back { statusCode: 200, headers, body: "<JSON CallResponse>" }.
 * Errors are CallResponses of type "error" (status 200): any other status code is a transport failure.
 */

function respond(callResponse) {
  return {
    statusCode: 200,
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(callResponse),
  };
}

const ok = (text, data) => respond(data === undefined ? { type: 'ok', text } : { type: 'ok', data });
const fail = (text) => respond({ type: 'error', text });

function parseCall(event) {
  if (!event || typeof event.body !== 'string' || event.body === '') return {};
  return JSON.parse(event.body);
}

function bindings() {
  const send = { path: '/send', expand: { acting_user: 'summary' } };
  return [
    {
      location: '/command',
      bindings: [
        {
          icon: 'icon.png',
          label: 'hello-world',
          description: 'Say hello from AWS Lambda',
          hint: '[send]',
          bindings: [{ location: 'send', label: 'send', submit: send }],
        },
      ],
    },
    {
      location: '/channel_header',
      bindings: [{ location: 'send-button', icon: 'icon.png', label: 'Say hello', submit: send }],
    },
  ];
}

exports.handler = async (event) => {
  let call;
  try {
    call = parseCall(event);
  } catch {
    return fail('the call body is not JSON');
  }
  const path = (event && event.path) || call.path || '/';
  const user = call.context && call.context.acting_user;
  switch (path) {
    case '/bindings':
      return ok(undefined, bindings());
    case '/install':
      return ok('Hello World is installed. Type `/hello-world send` or use the channel header button.');
    case '/send':
      return ok(
        `Hello${user && user.username ? `, @${user.username}` : ''}! This answer comes from AWS Lambda.`,
      );
    case '/ping':
      return ok('pong');
    default:
      return fail(`Hello World has no call at ${path}`);
  }
};
