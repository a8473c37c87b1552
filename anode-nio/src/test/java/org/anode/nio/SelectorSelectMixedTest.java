package org.anode.nio;

import java.io.IOException;
import java.nio.channels.Pipe;
import java.nio.channels.spi.SelectorProvider;

/**
 * Issue 15: the select contract suite with every other pipe a JDK pipe, so that one selector holds
 * Anode channels and JDK channels at once (checklist items 8-14 for both kinds).
 */
class SelectorSelectMixedTest extends SelectorSelectTest {
    private int made;

    @Override
    Pipe newPipe() throws IOException {
        return (made++ & 1) == 0 ? SelectorProvider.provider().openPipe() : super.newPipe();
    }
}
