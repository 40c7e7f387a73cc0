// Preloaded (`node --import`) into peers that cannot be told which address to bind
// (supergateway 4.0.0 calls express `app.listen(port)`, i.e. every interface), so that
// the benchmark never opens a port beyond loopback. It only fills in a missing host.

import net from 'node:net'

const listen = net.Server.prototype.listen
net.Server.prototype.listen = function listenOnLoopback(...args) {
  if (typeof args[0] === 'number' && typeof args[1] !== 'string') args.splice(1, 0, '127.0.0.1')
  else if (
    args[0] !== null &&
    typeof args[0] === 'object' &&
    args[0].port !== undefined &&
    !args[0].host
  ) {
    args[0] = { ...args[0], host: '127.0.0.1' }
  }
  return listen.apply(this, args)
}
