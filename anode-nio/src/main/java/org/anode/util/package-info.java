/**
 * Internal helpers shared by the stream, engine and nio packages (not exported): they depend on
 * nothing of this project, so any package may use them without creating a cycle.
 */
package org.anode.util;
