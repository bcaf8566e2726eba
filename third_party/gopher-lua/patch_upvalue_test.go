package lua

import "testing"

// runLua runs src in a fresh state and returns its single string result.
func runLuaString(t *testing.T, src string) string {
	t.Helper()
	L := NewState()
	defer L.Close()
	if err := L.DoString(src); err != nil {
		t.Fatalf("DoString: %v", err)
	}
	return L.Get(-1).String()
}

// PATCH(upvalues), upstream #448: a caught error must not detach the
// upvalues of frames outside the pcall.
func TestPatchUpvaluesSurvivePcall(t *testing.T) {
	cases := []struct{ name, src, want string }{
		{"counter", `
			local c = 0
			local function inc(fn) c = c + 1; pcall(fn) end
			inc(function() error("x") end); inc(function() end); inc(function() end)
			return tostring(c)`, "3"},
		{"later assignment", `
			local a
			local function use() return a end
			pcall(function() error("e") end)
			a = 5
			return tostring(use())`, "5"},
		{"error with table value", `
			local a
			local function use() return a end
			pcall(function() error({}) end)
			a = 7
			return tostring(use())`, "7"},
		{"xpcall", `
			local a = 1
			local function use() return a end
			local seen
			xpcall(function() error("e") end, function(m) seen = a; return m end)
			a = 6
			return tostring(use()) .. "," .. tostring(seen)`, "6,1"},
		{"nested pcall", `
			local a = 0
			local get
			local ok = pcall(function()
				local inner = 10
				get = function() return inner end
				pcall(function() error("deep") end)
				inner = 11
				a = a + 1
				error("outer")
			end)
			a = a + 1
			return tostring(a) .. "," .. tostring(get()) .. "," .. tostring(ok)`, "2,11,false"},
		{"unwound frames are closed", `
			local fs = {}
			for i = 1, 3 do
				pcall(function()
					local x = i * 10
					fs[i] = function() return x end
					error("boom")
				end)
			end
			-- the registry slots were reused by later calls; each closure keeps its own value
			local junk = {1,2,3,4,5,6,7,8}
			return fs[1]() .. "," .. fs[2]() .. "," .. fs[3]()`, "10,20,30"},
		{"coroutine that errors", `
			local a = 1
			local function use() return a end
			local captured
			local co = coroutine.create(function()
				local v = 42
				captured = function() return v end
				error("co")
			end)
			local ok = coroutine.resume(co)
			a = 9
			return tostring(ok) .. "," .. tostring(use()) .. "," .. tostring(captured())`, "false,9,42"},
		{"pcall inside coroutine", `
			local co = coroutine.wrap(function()
				local c = 0
				local function inc() c = c + 1 end
				inc(); pcall(error, "x"); inc(); inc()
				return c
			end)
			return tostring(co())`, "3"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := runLuaString(t, c.src); got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
}
