// Every application module; the scenario runner imports this file (src/scenario/plugins.ts).
import './register.js';
