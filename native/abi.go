package native

// abiVersion is FLASHEMU_ABI of include/flashemu.h: a library built with
// another runtime version is refused at load.
const abiVersion = 1
