# Demo cluster nodes in C and C++ (examples/nodes/): the same UDP heartbeat protocol, linked
# against the static library.
#   make nodes-c      build build/nodes/c-node and build/nodes/cpp-node
#   make test-nodes   a cluster of three C and three C++ nodes on loopback: mutual ALIVE, node 1
#                     leading, then one node is SIGKILLed and every other must report it FAILED
#                     (examples/nodes/test_nodes.py; children are always killed)
NODES_DIR := $(BUILD)/nodes
NODES_LIBS := $(RELEASE)/libphifd.a -lpthread -ldl -lm

.PHONY: nodes-c test-nodes

nodes-c: lib
	@mkdir -p $(NODES_DIR)
	cc -std=c11 -D_POSIX_C_SOURCE=200809L -O2 -Wall -Wextra -Werror -Iinclude examples/nodes/c/node.c \
	  $(NODES_LIBS) -o $(NODES_DIR)/c-node
	c++ -std=c++17 -O2 -Wall -Wextra -Werror -Iinclude examples/nodes/cpp/node.cpp \
	  $(NODES_LIBS) -o $(NODES_DIR)/cpp-node

test-nodes: nodes-c
	python3 examples/nodes/test_nodes.py --c-node $(NODES_DIR)/c-node --cpp-node $(NODES_DIR)/cpp-node

TEST_TARGETS += test-nodes
