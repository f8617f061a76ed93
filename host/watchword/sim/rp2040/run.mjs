// The emulated RP2040 (rp2040js) running a firmware image; the chips live in Python.
//
// Started by watchword/sim/rp2040/rig.py as `node run.mjs IMAGE.uf2 FLASH.bin BOOTROM.mjs`.
// One JSON object a line each way over this process's stdin and stdout:
//   out {ev:"usb", d}                 bytes the firmware sent on its USB CDC (hex)
//   out {ev:"uart", n, d}             bytes the firmware sent on UART n
//   out {ev:"baud", n, baud}          UART n's baud rate changed
//   out {ev:"i2cw", bus, a, d}        one acknowledged I2C write segment, at its stop
//   out {ev:"i2cr", bus, a}           the firmware clocks in one byte: answer {op:"i2cr", v}
//   out {ev:"pins", s: {pin: state}}  a watched pin changed while `sync`: answer {op:"levels"}
//   out {ev:"alarm", id}              the emulated time asked for with {op:"alarm"} came
//   out {ev:"reset", why}             the watchdog reset the chip (a timeout, or machine.reset()
//                                     through its trigger): this process ends
//   in  {op:"usb", d}                 bytes from the host to the CDC OUT endpoint
//   in  {op:"uart", n, d, at}         bytes for UART n's RX, from emulated time `at` (µs)
//   in  {op:"levels", l: {pin: 0|1|null}, sync}  what the models put on watched pins
//   in  {op:"setup", acks: {bus: [addr]}, i2cPins: {bus: [scl, sda]}, watch: [pin]}
//   in  {op:"alarm", id, after}       report when `after` µs of emulated time have passed
//   in  {op:"advance", ms}            run the next `ms` of emulated time unpaced (ahead of the wall clock)
//   in  {op:"wedge", bus, a}          the chip at `a` holds the bus from its next address on
//   in  {op:"settle"}                answer {ev:"settled"} once the core next sleeps
//   in  {op:"where"}                 answer {ev:"where", pc, lr}: where the core is (debugging)
//   in  {op:"save"}                   write the littlefs region to FLASH.bin, answer {ev:"saved"}
// Every message out carries `t`: the emulated time in µs. While Python answers a request
// the emulator stands still, so a model's answer costs no emulated time; bus time is
// charged instead: an I2C byte takes 9 SCL periods, a UART byte 10 bit times.
//
// WW_RP2040_TRACE=1 in the environment logs the clock and every flash write on stderr.
//
// Emulated time never runs ahead of the wall clock (plus what `advance` adds), nor catches
// up on it: sleeping firmware waits in real time, busy firmware runs as fast as the emulator
// can, and the time it lost stays lost (see the loop).
import fs from 'node:fs';
import readline from 'node:readline';
import { pathToFileURL } from 'node:url';
import { ConsoleLogger, GPIOPinState, LogLevel, Simulator, USBCDC } from 'rp2040js';

console.log = console.error; // stdout is the channel to Python: the emulator logs on stderr

const [imagePath, flashPath, bootromPath] = process.argv.slice(2);
const FLASH_BASE = 0x10000000;
const FS_OFFSET = 0x200000 - 1408 * 1024; // MicroPython's littlefs on a 2 MB Pico
const FS_SIZE = 1408 * 1024;
const CYCLE_NS = 8; // 125 MHz
const SLICE = 100000; // instructions between looks at the wall clock and the pipes

const { bootromB1 } = await import(pathToFileURL(bootromPath).href);
const sim = new Simulator();
const mcu = sim.rp2040;
const clock = sim.clock;
mcu.logger = new ConsoleLogger(LogLevel.Error);
mcu.loadBootrom(bootromB1);
loadUf2(fs.readFileSync(imagePath));
if (fs.existsSync(flashPath)) mcu.flash.set(fs.readFileSync(flashPath).subarray(0, FS_SIZE), FS_OFFSET);
else mcu.flash.fill(0xff, FS_OFFSET, FS_OFFSET + FS_SIZE);
let savedFs = Buffer.from(mcu.flash.subarray(FS_OFFSET, FS_OFFSET + FS_SIZE));
mcu.core.PC = FLASH_BASE;

function loadUf2(data) {
  for (let at = 0; at + 512 <= data.length; at += 512) {
    const block = new DataView(data.buffer, data.byteOffset + at, 512);
    if (block.getUint32(0, true) !== 0x0a324655 || block.getUint32(4, true) !== 0x9e5d5157) continue;
    const addr = block.getUint32(12, true);
    const size = block.getUint32(16, true);
    mcu.flash.set(data.subarray(at + 32, at + 32 + size), addr - FLASH_BASE);
  }
}

// -- the watchdog ------------------------------------------------------------------------------
// rp2040js has no chip reset that keeps the flash, and its watchdog alarm refires at once
// forever once it has expired. The rp2 port's machine.reset() is a watchdog reset too (its
// trigger bit, with no delay). So a watchdog reset stops the watchdog, saves the flash and
// ends this process; Python starts the chip again from the same flash (a power-on reset).
const watchdog = mcu.peripherals[0x40058]; // WATCHDOG_BASE
const FORCED = 1 << 1; // WATCHDOG REASON: the trigger bit (machine.reset()), not a timeout
watchdog.onWatchdogTrigger = () => {
  watchdog.timer.enable = false;
  handlers.save();
  send({ ev: 'reset', why: watchdog.reason & FORCED ? 'machine.reset()' : 'watchdog' });
  flush();
  process.exit(0);
};

// -- flash writes ------------------------------------------------------------------------------
// rp2040js does not model the flash chip's erase and program commands, so the boot ROM's
// flash_range_erase and flash_range_program are done here when the core calls them, and
// their time is charged as a W25Q16's typical: 45 ms a 4 KiB sector, 0.7 ms a 256 B page.
const SECTOR_ERASE_NS = 45e6;
const PAGE_PROGRAM_NS = 0.7e6;
function romFunction(code) {
  let at = mcu.readUint16(0x14); // the ROM's function table: (code, address) pairs, then 0
  for (;;) {
    const found = mcu.readUint16(at);
    if (!found) return -1;
    if (found === code) return mcu.readUint16(at + 2) & ~1;
    at += 4;
  }
}
const romCode = (text) => text.charCodeAt(0) | (text.charCodeAt(1) << 8);
const FLASH_ERASE = romFunction(romCode('RE'));
const FLASH_PROGRAM = romFunction(romCode('RP'));
function flashCall() {
  const core = mcu.core;
  const pc = core.PC;
  if (pc !== FLASH_ERASE && pc !== FLASH_PROGRAM) return false;
  const [offset, second, count] = core.registers;
  if (pc === FLASH_ERASE) {
    mcu.flash.fill(0xff, offset, offset + second);
    clock.tick(Math.ceil(second / 4096) * SECTOR_ERASE_NS);
  } else {
    for (let i = 0; i < count; i++) mcu.flash[offset + i] &= mcu.readUint8(second + i);
    clock.tick(Math.ceil(count / 256) * PAGE_PROGRAM_NS);
  }
  if (process.env.WW_RP2040_TRACE) console.error(`flash ${pc === FLASH_ERASE ? 'erase' : 'program'} ${offset.toString(16)} ${second.toString(16)} ${count}`);
  core.PC = core.LR & ~1; // return to the caller
  return true;
}

const nowUs = () => clock.nanos / 1000;
let outbox = [];
function send(msg) {
  msg.t = nowUs();
  outbox.push(JSON.stringify(msg));
}
function flush() {
  if (outbox.length) {
    process.stdout.write(outbox.join('\n') + '\n');
    outbox = [];
  }
}
const hex = (bytes) => Buffer.from(bytes).toString('hex');
const after = (ns, fn) => clock.createAlarm(fn).schedule(Math.max(1, ns));

// -- pausing while Python answers ----------------------------------------------------------
let waiting = null; // the op name whose answer the emulator stands still for
let answer = null;
function ask(msg, op, then) {
  send(msg);
  waiting = op;
  answer = then;
  flush();
}

// -- USB CDC: a host that NAKs the OUT endpoint until it has bytes -----------------------------
const cdc = new USBCDC(mcu.usbCtrl);
const fromHost = [];
let heldRead = null;
const stockRead = mcu.usbCtrl.onEndpointRead;
cdc.onSerialData = (buffer) => send({ ev: 'usb', d: hex(buffer) });
mcu.usbCtrl.onEndpointRead = (endpoint, size) => {
  if (endpoint !== cdc.outEndpoint) return stockRead(endpoint, size);
  if (!fromHost.length) {
    heldRead = size; // a real host NAKs: the firmware hears nothing until there is data
    return;
  }
  mcu.usbCtrl.endpointReadDone(endpoint, Uint8Array.from(fromHost.splice(0, size)));
};
function hostSends(bytes) {
  fromHost.push(...bytes);
  if (heldRead !== null && cdc.outEndpoint !== undefined) {
    const size = heldRead;
    heldRead = null;
    mcu.usbCtrl.endpointReadDone(cdc.outEndpoint, Uint8Array.from(fromHost.splice(0, size)));
  }
}

// -- UARTs: what the firmware sends goes up; what the models send is fed at the baud rate -----
const uartBaud = [115200, 115200];
const uartQueue = [[], []]; // {at (µs), byte}
const uartFeeding = [false, false];
// rp2040js raises the TX interrupt again on every check, so MicroPython's handler, which
// clears it and returns, is entered forever. On the chip it fires when the TX FIFO drains
// through its level: here, once a written byte has had its time on the wire.
const UART_TX_INTERRUPT = 1 << 5;
mcu.uart.forEach((uart, n) => {
  uart.checkInterrupts = () => uart.rp2040.setInterrupt(uart.irq, !!(uart.interruptStatus & uart.interruptMask));
  let pending = [];
  uart.onByte = (value) => {
    after((10 * 1e9) / uartBaud[n], () => {
      uart.interruptStatus |= UART_TX_INTERRUPT;
      uart.checkInterrupts();
    });
    if (!pending.length) setImmediate(() => {
      send({ ev: 'uart', n, d: hex(pending) });
      pending = [];
    });
    pending.push(value);
  };
  uart.onBaudRateChange = (baud) => {
    uartBaud[n] = baud;
    send({ ev: 'baud', n, baud });
  };
});
function feedUart(n) {
  const queue = uartQueue[n];
  if (!queue.length) {
    uartFeeding[n] = false;
    return;
  }
  uartFeeding[n] = true;
  const byteNs = (10 * 1e9) / uartBaud[n];
  const dueNs = queue[0].at * 1000 - clock.nanos;
  if (dueNs > 0) return after(dueNs, () => feedUart(n));
  const uart = mcu.uart[n];
  if (!uart.rxFIFO.full) uart.feedByte(queue.shift().byte);
  after(byteNs, () => feedUart(n));
}

// -- I2C: the address list acknowledges; reads are asked of Python byte by byte -----------------
let acks = {};
let wedged = {}; // bus -> addresses of chips that hold the bus (a fault test's hung display)
mcu.i2c.forEach((i2c, bus) => {
  let segment = null;
  const byteNs = () => {
    const period = (i2c.sclLowPeriod + i2c.sclHighPeriod) * CYCLE_NS;
    return 9 * (period > 0 ? period : 2500);
  };
  const end = () => {
    if (segment && segment.write && segment.ack) send({ ev: 'i2cw', bus, a: segment.addr, d: hex(segment.data) });
    segment = null;
  };
  i2c.onStart = () => {
    end();
    after(byteNs() / 9, () => i2c.completeStart());
  };
  i2c.onConnect = (addr, mode) => {
    const ack = (acks[bus] || []).includes(addr);
    segment = { addr, write: mode === 0, ack, data: [] };
    if ((wedged[bus] || []).includes(addr)) return; // it holds SCL low: the byte never ends
    after(byteNs(), () => i2c.completeConnect(ack));
  };
  i2c.onWriteByte = (value) => {
    segment.data.push(value);
    after(byteNs(), () => i2c.completeWrite(true));
  };
  i2c.onReadByte = () => {
    ask({ ev: 'i2cr', bus, a: segment.addr }, 'i2cr', (msg) => after(byteNs(), () => i2c.completeRead(msg.v & 0xff)));
  };
  i2c.onStop = () => {
    end();
    after(byteNs() / 9, () => i2c.completeStop());
  };
});

// -- I2C bit-banged: MicroPython's rp2 port sends a zero-length write (I2C.scan) by toggling
// the bus pins as GPIOs; the devices on the address list acknowledge it on SDA. The bus has
// pull-ups, so a released line reads high.
function bitBangedBus(bus, scl, sda) {
  let phase = 'idle';
  let bits = 0;
  let byte = 0;
  let held = false; // a device holds SDA low (its ACK)
  let last = { scl: 1, sda: 1 };
  const line = (pin) => (mcu.gpio[pin].value === GPIOPinState.Low ? 0 : 1);
  const update = () => {
    const now = { scl: line(scl), sda: line(sda) };
    if (now.scl && last.scl && last.sda && !now.sda) {
      phase = 'address';
      bits = 0;
      byte = 0;
    } else if (now.scl && last.scl && !last.sda && now.sda && !held) {
      phase = 'idle';
    } else if (now.scl && !last.scl && phase === 'address' && bits < 8) {
      byte = (byte << 1) | now.sda;
      bits++;
    } else if (!now.scl && last.scl && phase === 'address') {
      if (bits === 8) {
        held = (acks[bus] || []).includes(byte >> 1);
        bits = 9;
      } else if (bits === 9) {
        held = false;
        phase = 'data';
      }
    }
    last = now;
    mcu.gpio[scl].setInputValue(!!now.scl);
    mcu.gpio[sda].setInputValue(!!now.sda && !held);
  };
  mcu.gpio[scl].addListener(update);
  mcu.gpio[sda].addListener(update);
  mcu.gpio[scl].setInputValue(true);
  mcu.gpio[sda].setInputValue(true);
}

// -- GPIO: pads pull, models drive ---------------------------------------------------------------
const external = new Map(); // pin -> 0/1 from a model, or absent
let watched = [];
let sync = false;
function applyLevel(pin) {
  const gpio = mcu.gpio[pin];
  const state = gpio.value;
  let level = external.get(pin);
  if (state === GPIOPinState.High || state === GPIOPinState.Low) level = state === GPIOPinState.High ? 1 : 0;
  else if (level === undefined || level === null) {
    if (state === GPIOPinState.InputPullUp) level = 1;
    else if (state === GPIOPinState.InputPullDown) level = 0;
    else return; // a floating input keeps what it had
  }
  gpio.setInputValue(!!level);
}
const pinStates = () => Object.fromEntries(watched.map((pin) => [pin, mcu.gpio[pin].value]));
function pinChanged(pin) {
  applyLevel(pin);
  if (sync && waiting === null) ask({ ev: 'pins', s: pinStates() }, 'levels', () => {});
}

// -- the loop ----------------------------------------------------------------------------------
// Emulated time runs at most as fast as the wall clock, and what busy code lost is never
// made up: a sleeping core's clock goes on from where the busy code left it, at the wall
// clock's pace (`advance` lets it run unpaced through the time it names). So an idle token's screen times and watchdog
// count in real seconds from the last thing it did, as on the rig's clock.
let wallAt = performance.now(); // the wall clock (ms) at which the emulated clock stood at `paceNs`
let paceNs = 0;
let freeUntilNs = 0; // `advance`: unpaced up to this emulated time, as fast as the core runs
let settleWanted = false; // report when the firmware next sleeps: its loop pass is done
let timer = null;
function run() {
  timer = null;
  if (waiting !== null) return;
  const wallLimit = paceNs + (performance.now() - wallAt) * 1e6;
  const limit = Math.max(wallLimit, freeUntilNs);
  for (let i = 0; i < SLICE && waiting === null && clock.nanos < limit; i++) {
    if (mcu.core.waiting) {
      if (settleWanted) {
        settleWanted = false;
        send({ ev: 'settled' });
      }
      const next = clock.nanosToNextAlarm;
      clock.tick(next > 0 ? Math.min(next, limit - clock.nanos) : limit - clock.nanos);
    } else if (!flashCall()) {
      clock.tick(mcu.core.executeInstruction() * CYCLE_NS);
    }
  }
  // Behind the wall clock (busy, or standing still while Python answers): the lag is
  // dropped, and the pace starts again from here.
  paceNs = clock.nanos;
  wallAt = performance.now();
  flush();
  if (waiting !== null) return;
  timer = clock.nanos < limit ? setImmediate(run) : setTimeout(run, 1);
}
function resume() {
  if (timer === null && waiting === null) timer = setImmediate(run);
}

const handlers = {
  setup(msg) {
    acks = msg.acks;
    watched = msg.watch;
    for (const [bus, [scl, sda]] of Object.entries(msg.i2cPins)) bitBangedBus(bus, scl, sda);
    for (const pin of watched) {
      mcu.gpio[pin].addListener(() => pinChanged(pin));
      applyLevel(pin);
    }
  },
  usb: (msg) => hostSends(Buffer.from(msg.d, 'hex')),
  uart(msg) {
    for (const byte of Buffer.from(msg.d, 'hex')) uartQueue[msg.n].push({ at: msg.at, byte });
    if (!uartFeeding[msg.n]) feedUart(msg.n);
  },
  levels(msg, answered = false) {
    for (const [pin, level] of Object.entries(msg.l)) external.set(Number(pin), level);
    sync = msg.sync;
    for (const pin of watched) applyLevel(pin);
    // A switch just closed: the models need the pins as they are now to answer.
    if (sync && !answered && waiting === null) ask({ ev: 'pins', s: pinStates() }, 'levels', () => {});
  },
  alarm(msg) {
    after(msg.after * 1000, () => send({ ev: 'alarm', id: msg.id }));
  },
  wedge(msg) {
    (wedged[msg.bus] ||= []).push(msg.a);
  },
  settle() {
    settleWanted = true;
  },
  where() {
    send({ ev: 'where', pc: mcu.core.PC, lr: mcu.core.LR, waiting, sleeping: mcu.core.waiting });
  },
  advance(msg) {
    freeUntilNs = Math.max(freeUntilNs, clock.nanos + msg.ms * 1e6);
  },
  save() {
    const now = Buffer.from(mcu.flash.subarray(FS_OFFSET, FS_OFFSET + FS_SIZE));
    if (!now.equals(savedFs)) {
      fs.writeFileSync(flashPath + '.new', now);
      fs.renameSync(flashPath + '.new', flashPath);
      savedFs = now;
    }
    send({ ev: 'saved' });
  },
};

readline.createInterface({ input: process.stdin }).on('line', (line) => {
  const msg = JSON.parse(line);
  if (waiting !== null && msg.op === waiting) {
    waiting = null;
    wallAt = performance.now(); // the emulator stood still while Python answered
    const then = answer;
    answer = null;
    if (msg.op === 'levels') handlers.levels(msg, true);
    then(msg);
  } else {
    handlers[msg.op](msg);
  }
  flush();
  resume();
}).on('close', () => process.exit(0));

setInterval(() => handlers.save(), 2000).unref();
send({ ev: 'started' });
flush();
resume();
const alarmCount = () => { let n = 0; for (let a = clock.nextAlarm; a && n < 100000; a = a.next) n++; return n; };
if (process.env.WW_RP2040_TRACE) setInterval(() => console.error(`trace t=${clock.nanos / 1e6} ms waiting=${waiting} sleeping=${mcu.core.waiting} pc=${mcu.core.PC.toString(16)} alarms=${alarmCount()} next=${clock.nanosToNextAlarm} host=${fromHost.length} held=${heldRead}`), 1000).unref();
