# itsperf vm: the emulated pKVM host.
# The guest /init script is assembled into the binary (vm/init_blob.c, .incbin):
# rebuild that object whenever the script changes.
$(X86)/vm/init_blob.o $(A64)/vm/init_blob.o: vm/guest/init.sh
