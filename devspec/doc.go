// Package devspec is the device option vocabulary flashemu shares between
// Lua and the command line: flash.nor{size = 1024*1024, sector = 4096} and
// --nor size=1M,sector=4K name the same options, take the same defaults and
// are checked by one builder (Build), which turns them into an emu.Config.
// A Source reads the options from wherever they were written: package lua
// reads Lua tables, Parse reads a command-line SPEC string. Choice and Open
// are the command line's way to pick a device (--chip, --nor, --nand,
// --image).
package devspec
