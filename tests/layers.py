#!/usr/bin/env python3
"""layers.py SRC MAKEFILE_AM: check forklift's include graph.

Reads the layer list at the top of Makefile.am (each layer a line
"#   NAME   modules...", the modules named by their file's base name) and
every quoted #include of SRC/*.c and SRC/*.h, and prints one line per
problem: a file no layer names, an include of a header of a higher layer
(an arrow up; cmd_*.c and commands.h are the commands layer, a NAME_int.h
or NAME_impl.h belongs to NAME), or a cycle.  Exits 1 when there is one.
"""
import os, re, sys
src = sys.argv[1]
mk = open(sys.argv[2]).read()
files = [f for f in os.listdir(src) if f.endswith(('.c', '.h'))]
mods = {f.rsplit('.', 1)[0] for f in files}
# layers: the comment block at the top of Makefile.am
layer_of, order = {}, []
cur = None
for line in mk.split('\n'):
    if not line.startswith('#'):
        if order: break
        continue
    m = re.match(r'#   (\w+)\s{2,}(.*)', line)
    if m:
        cur = m.group(1); order.append(cur); text = m.group(2)
    elif cur and re.match(r'#\s{10,}', line):
        text = line[1:]
    else:
        continue
    for w in re.findall(r'[a-z_]+', text):
        if w in mods and w not in layer_of:
            layer_of[w] = order.index(cur)
def mod_of(name):
    base = name.rsplit('.', 1)[0]
    if base.startswith('cmd_') or base == 'commands':
        return 'commands'
    for suf in ('_int', '_impl'):
        if base.endswith(suf):
            base = base[:-len(suf)]
    return base
if 'commands' in order:
    layer_of['commands'] = order.index('commands')
if 'program' in order:
    layer_of['main'] = order.index('program')
bad = 0
graph = {}
for f in sorted(files):
    incs = re.findall(r'^#include "([^"]+)"', open(os.path.join(src, f)).read(), re.M)
    graph[f] = [i for i in incs if i in files]
    a = mod_of(f)
    if a not in layer_of:
        print('not in the layer list: %s' % f); bad += 1; continue
    for i in graph[f]:
        b = mod_of(i)
        if b not in layer_of:
            print('not in the layer list: %s' % i); bad += 1; continue
        if layer_of[b] > layer_of[a]:
            print('%s (%s) includes %s (%s): an arrow up' % (f, order[layer_of[a]], i, order[layer_of[b]])); bad += 1
# cycles among headers
state = {}
def dfs(n, stack):
    state[n] = 1; stack.append(n)
    for m in graph.get(n, []):
        if state.get(m) == 1:
            print('include cycle: %s' % ' -> '.join(stack[stack.index(m):] + [m])); return 1
        if state.get(m) is None and dfs(m, stack): return 1
    stack.pop(); state[n] = 2; return 0
for f in sorted(graph):
    if state.get(f) is None and dfs(f, []):
        bad += 1
print('%d files, %d layers, %d problems' % (len(files), len(order), bad))
sys.exit(1 if bad else 0)
