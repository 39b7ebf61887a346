/**
 * The plain relay baseline's signaling server: Socket.IO rooms and one `signal` event forwarded to the other
 * sockets of the room. Nothing more: no validation, acks, rate limits or resume. A process of its own, like
 * the widget's reference server, started by test/support/servers.mjs (HOST and PORT from the environment;
 * prints "listening on <url>").
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';

const http = createServer((_request, response) => response.writeHead(404).end());
// The pages connect over WebSocket only, which has no CORS; polling is not offered.
const io = new Server(http, { transports: ['websocket'], serveClient: false });

io.on('connection', (socket) => {
  socket.on('join', (room: unknown, ack: unknown) => {
    if (typeof room !== 'string' || typeof ack !== 'function') return;
    void socket.join(room);
    socket.data.room = room;
    ack();
  });
  socket.on('signal', (message: unknown) => {
    if (socket.data.room) socket.to(socket.data.room).emit('signal', message);
  });
});

http.listen(Number(process.env.PORT ?? 0), process.env.HOST ?? '127.0.0.1', () => {
  const { address, port } = http.address() as AddressInfo;
  console.log(`listening on http://${address}:${port}`);
});
