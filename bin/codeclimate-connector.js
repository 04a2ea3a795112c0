#!/usr/bin/env node
import { main } from "../dist/cli/codeclimate-connector.js";

process.exitCode = await main(process.argv);
