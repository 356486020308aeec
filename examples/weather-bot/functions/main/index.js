'use strict';
/**
 * Weather Bot, function "main" (every call path except /forecast…): bindings and install.
 * Event and answer shapes: see examples/hello-world/functions/main/index.js.
 */

const respond = (callResponse) => ({
  statusCode: 200,
  headers: { 'Content-Type': 'application/json' },
  body: JSON.stringify(callResponse),
});

const forecastForm = {
  title: 'Weather forecast',
  icon: 'icon.png',
  fields: [
    { name: 'city', type: 'text', label: 'city', is_required: true, position: 1, hint: 'e.g. Lisbon' },
    {
      name: 'days',
      type: 'static_select',
      label: 'days',
      options: [
        { label: 'today', value: '1' },
        { label: 'three days', value: '3' },
      ],
    },
  ],
  submit: { path: '/forecast', expand: { acting_user: 'summary' } },
};

exports.handler = async (event) => {
  let call = {};
  try {
    call = event && event.body ? JSON.parse(event.body) : {};
  } catch {
    return respond({ type: 'error', text: 'the call body is not JSON' });
  }
  const path = (event && event.path) || call.path || '/';
  if (path === '/bindings') {
    return respond({
      type: 'ok',
      data: [
        {
          location: '/command',
          bindings: [
            {
              icon: 'icon.png',
              label: 'weather',
              description: 'Get a forecast for a city',
              form: forecastForm,
            },
          ],
        },
        {
          location: '/post_menu',
          bindings: [
            { location: 'forecast', icon: 'icon.png', label: 'Weather forecast', form: forecastForm },
          ],
        },
      ],
    });
  }
  if (path === '/install') return respond({ type: 'ok', text: 'Weather Bot is installed: try `/weather`.' });
  return respond({ type: 'error', text: `Weather Bot has no call at ${path}` });
};
