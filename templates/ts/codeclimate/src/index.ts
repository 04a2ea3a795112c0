export { Client } from "./Client";
