/* global io -- socket.io's client script, loaded by index.html */
'use strict';
// The page: draws every player on the board and sends this player's moves. The server it came
// from relays through Kafka, so players on other servers show and move here too.
(() => {
  const CELL = 32;
  const name = new URLSearchParams(location.search).get('name') || `player-${Math.floor(Math.random() * 1000)}`;
  const board = document.getElementById('board');
  const status = document.getElementById('status');
  const players = new Map(); // id → {player, element}
  let me = null;
  let server = '';

  function showStatus(text) {
    status.innerHTML = '';
    const label = document.createElement('span');
    label.textContent = text;
    status.append(label);
    if (server) {
      const where = document.createElement('span');
      where.className = 'server';
      where.textContent = ` · server ${server}`;
      status.append(where);
    }
  }

  function draw(player) {
    let entry = players.get(player.id);
    if (!entry) {
      const element = document.createElement('div');
      element.className = `player${me && player.id === me.id ? ' me' : ''}`;
      element.style.background = player.color;
      element.dataset.id = player.id;
      element.dataset.name = player.name;
      const label = document.createElement('span');
      label.textContent = `${player.name} (${player.server})`;
      element.append(label);
      board.append(element);
      entry = { player, element };
      players.set(player.id, entry);
    }
    Object.assign(entry.player, player);
    entry.element.dataset.x = entry.player.x;
    entry.element.dataset.y = entry.player.y;
    entry.element.style.left = `${entry.player.x * CELL}px`;
    entry.element.style.top = `${entry.player.y * CELL}px`;
    if (me) showStatus(`You are ${me.name} · ${players.size} player${players.size === 1 ? '' : 's'}`);
  }

  const socket = io({ auth: { name }, transports: ['websocket'] });
  socket.on('welcome', (welcome) => {
    me = welcome.you;
    server = welcome.server;
    board.style.width = `${welcome.board.width * CELL}px`;
    board.style.height = `${welcome.board.height * CELL}px`;
    for (const { element } of players.values()) element.remove();
    players.clear();
    for (const p of [me, ...welcome.players]) draw(p);
  });
  socket.on('joined', draw);
  socket.on('moved', (move) => { if (players.has(move.id)) draw(move); });
  socket.on('left', (id) => {
    players.get(id)?.element.remove();
    players.delete(id);
    if (me) showStatus(`You are ${me.name} · ${players.size} player${players.size === 1 ? '' : 's'}`);
  });
  socket.on('disconnect', () => showStatus('disconnected: reconnecting…'));

  const KEYS = { ArrowUp: 'up', ArrowDown: 'down', ArrowLeft: 'left', ArrowRight: 'right' };
  document.addEventListener('keydown', (event) => {
    const direction = KEYS[event.key];
    if (!direction || !me) return;
    event.preventDefault();
    socket.emit('move', direction);
  });
})();
