// web/phone/sw.js — the phone page's service worker. It exists so that the page may show
// its window-open notice as a system notification where a page may not construct one
// itself (Chrome on Android); a tap on the notice brings the page back.
self.addEventListener('notificationclick', (event) => {
	event.notification.close();
	event.waitUntil(
		self.clients.matchAll({ type: 'window' }).then((list) => (list[0] ? list[0].focus() : undefined)),
	);
});
